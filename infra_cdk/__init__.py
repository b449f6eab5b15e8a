"""The NIJA CDK app: stacks/ compose constructs/, which read names and shapes from nija.catalogue."""
