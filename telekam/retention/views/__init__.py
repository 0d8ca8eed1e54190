"""Pages of the churn part: the warning queue and page (warnings.py), the data runs, imports
and rules (runs.py), the churn analysis dashboard (analysis.py)."""
