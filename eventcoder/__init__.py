"""eventcoder: ACLED-style conflict event coding with Label Studio."""
