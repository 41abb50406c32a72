"""The Image2ART-compatible order API: request signing, errors and rate limits."""
