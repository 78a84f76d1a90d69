"""The Streamlit wall: pages that read the store (never Kafka)."""
