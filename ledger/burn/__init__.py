"""Actual spend against commitments: draw-down of charges, and each commitment's position and forecast."""
