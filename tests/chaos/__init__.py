"""Chaos tests: real clients and servers with a fault-injecting proxy between them."""
