"""Stage 4, scoring: every applicant against every program of their specialties, and the lists.
Owns app.pair_scores (and the app.program_scores view), app.list_versions, app.ranked_lists,
app.score_inputs and app.applicant_openers."""
