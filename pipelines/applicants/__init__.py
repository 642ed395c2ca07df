"""Stage 3, applicants: the profile schema, intake from YAML / JSON / CSV and the quarantine.
Owns app.applicants, app.applicant_quarantine, app.erased_applicants and app.intake_files."""
