"""NIJA: the shared package every Lambda function and the local stack import."""

__version__ = "0.1.0"
