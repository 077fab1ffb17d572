"""The HTTP command and query API, the composition root and the `salesledger` command."""
