"""View-shaped reads over the replica: plain data back, each figure with the time it describes."""
