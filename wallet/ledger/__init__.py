"""The ledger: accounts, balanced postings and their member history, payout batches, and its proof.

It imports no other app (members are `settings.AUTH_USER_MODEL`) and nothing of custody; custody
and every other app post through it. Its models live in wallet/models.py with the app's.
"""
