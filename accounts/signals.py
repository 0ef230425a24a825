"""What happens to a member that other code acts on, sent by accounts' services.

Each is sent inside the transaction that made the change, so a receiver's own writes commit or roll
back with it; a receiver that reaches outside (a task, an e-mail) waits for the commit. The apps
above accounts (the ledger, ranks, the dashboard) connect in their AppConfig.ready, and accounts'
own tasks through accounts/receivers.py: services never import tasks or a higher app.
"""

from django.dispatch import Signal

# user_id, address, site_url: a confirmation link for `address` is to be mailed.
email_link_requested = Signal()
# user_id, old_address: the account's e-mail address changed (the old one is told).
email_changed = Signal()
# user: the member confirmed their e-mail for the first time (the registration bonus is due).
email_confirmed = Signal()
# user_id, by_staff: the saved withdrawal address changed.
withdrawal_address_changed = Signal()
# user_id: staff reset the member's two-factor authentication.
two_factor_reset_done = Signal()
# member_id, old_upline_ids, new_upline_ids: staff moved the member (and their downline).
sponsor_changed = Signal()
# user: the profile page is shown; receivers answer with what they add to its context.
profile_shown = Signal()
# user_ids: the team page lists these members; receivers answer {user_id: volume as a leg}.
team_leg_volumes = Signal()
