"""Wire protocol, client sync engine, feed hub and simulator. Never imports Qt."""
