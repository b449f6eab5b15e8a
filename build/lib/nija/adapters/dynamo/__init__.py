"""DynamoDB storage: pynamodb models (storage shapes) and the stores that map them to domain models."""
