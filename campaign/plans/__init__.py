"""The plan's tasks (Phụ lục II of a provincial plan) and the units that lead them."""
