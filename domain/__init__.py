"""The sales domain: leads, opportunities, pipelines and the rules that govern them. No I/O."""
