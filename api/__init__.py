"""The outside: the FastAPI app, access rules, the composition root (`api.bootstrap`) and the
`salesledger` command (`api.cli`). May import every package below it; none imports it back."""
