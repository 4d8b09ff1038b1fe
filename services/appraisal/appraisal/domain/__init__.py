"""The rules of the appraisal service: pure Python, no I/O (docs/contract/appraisal.md).

``templates``: the shape of a template and its validation; ``kpis``: KPI raw values from the facts
(ticket events, the staff record); ``scoring``: scoring rules, ratings, scorecards, grades, ranks;
``review``: calibration of the reviewers and promotion recommendations.
"""
