"""Region pack plugins: regions with tags, power prices and PUE caps that problem files extend."""
