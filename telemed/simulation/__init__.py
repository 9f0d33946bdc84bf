"""``flask simulate``: the network's year run on the real scheduler over a movable clock,
on a database of its own (never the live one), and the report of what the rules did."""
