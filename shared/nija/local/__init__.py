"""The local stack: the whole platform on 127.0.0.1 over a moto server (`make run`)."""
