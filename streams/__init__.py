"""Floor 3: Kafka plumbing, the embedded broker, the live worker, ingest, tail, cameras."""
