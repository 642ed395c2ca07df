"""Stage 5, publishing: what an applicant reads (contexts, the page, the CSV, the message, its
wording and picture) and how it leaves (mailers, the delivery ledger). Owns app.delivery_ledger."""
