"""``cprofiler recommend``: which image, on the user's criteria, and how sure the data are.

``criteria`` turns results into candidates with intervals, ``limits`` reads the flags, ``decide``
holds the pure logic (limits, Pareto set, ranking, the one recommendation and its uncertainty).
"""
