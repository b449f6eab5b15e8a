"""Adapters: the ports implemented over AWS, brokers and the paper simulator."""
