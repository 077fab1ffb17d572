"""Read models folded from the public event envelope: funnel, stage conversion, rep activity."""
