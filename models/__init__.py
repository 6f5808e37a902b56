"""Storage and domain rules. Never imports Qt or the network."""
