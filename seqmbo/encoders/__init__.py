"""Encoders: designs as model inputs (token ids, one-hot, molecular graphs)."""
