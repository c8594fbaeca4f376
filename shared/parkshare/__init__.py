"""parkshare: residents of a building share their parking spots."""
