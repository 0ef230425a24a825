from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_user_fillfactor")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="email_confirmed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="e-mail confirmed"),
        ),
        migrations.AddField(
            model_name="user",
            name="credentials_changed_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="user",
            name="credentials_changed",
            field=models.CharField(
                blank=True, default="", db_default="", editable=False, max_length=20,
                choices=[("password", "password"), ("email", "e-mail address"),
                         ("two_factor", "two-factor authentication")],
            ),
        ),
        # Members from before confirmation links already have their bonus and count for their
        # sponsor: their addresses stand as confirmed.
        migrations.RunSQL(
            "UPDATE accounts_user SET email_confirmed_at = date_joined WHERE email <> ''",
            migrations.RunSQL.noop,
        ),
    ]
