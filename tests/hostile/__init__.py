"""Hostile servers of the tests' own: a misbehaving WordPress-shaped site and a fault-injecting proxy."""
