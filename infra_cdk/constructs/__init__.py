"""Small L2 building blocks; each reads its names and shapes from nija.catalogue."""
