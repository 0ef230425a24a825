from django.db import migrations

BATCH = 5000


def issue_codes(apps, schema_editor):
    """Members created before codes were issued at registration get theirs now."""
    from accounts.codes import referral_code_new

    users = apps.get_model("accounts", "User").objects.using(schema_editor.connection.alias)
    while True:
        ids = list(users.filter(referral_code__isnull=True).values_list("pk", flat=True)[:BATCH])
        if not ids:
            return
        for pk in ids:
            users.filter(pk=pk).update(referral_code=referral_code_new())


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_sponsor_change")]

    operations = [migrations.RunPython(issue_codes, migrations.RunPython.noop)]
