"""Benchmarks printing JSON, each beside a raw baseline measured in the same run (`python -m
bench`). May import the product and the tests' scenario builder; nothing imports them."""
