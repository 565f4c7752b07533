"""Supervision (督办): open work by county, section and person, the county ranking, trends, notices, exports."""
