"""Administrative units: provinces and communes (from vietnam-provinces) and villages."""
