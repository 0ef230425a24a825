"""Load the SHA-256 ASIC catalogue as published by makers and resellers; staff edit it in the admin."""

from decimal import Decimal

from django.db import migrations

# maker, model, TH/s, W, J/TH, year
CATALOGUE = [
    ("Bitmain", "Antminer S19", "95", 3250, "34", 2020),
    ("Bitmain", "Antminer S19 Pro", "110", 3250, "29.5", 2020),
    ("Bitmain", "Antminer S19j", "90", 3250, "36", 2021),
    ("Bitmain", "Antminer S19j Pro", "104", 3068, "29.5", 2021),
    ("Bitmain", "Antminer T19", "84", 3150, "37.5", 2020),
    ("Bitmain", "Antminer S19 XP", "140", 3010, "21.5", 2022),
    ("Bitmain", "Antminer S21", "200", 3500, "17.5", 2023),
    ("Bitmain", "Antminer S21 Pro", "234", 3510, "15", 2024),
    ("Bitmain", "Antminer S21 XP", "270", 3645, "13.5", 2024),
    ("Bitmain", "Antminer S21+", "216", 3564, "16.5", 2024),
    ("Bitmain", "Antminer S21 Hydro", "335", 5360, "16", 2024),
    ("Bitmain", "Antminer S21+ Hydro", "319", 4785, "15", 2024),
    ("Bitmain", "Antminer S21 XP Hydro", "473", 5676, "12", 2024),
    ("MicroBT", "Whatsminer M30S+", "100", 3400, "34", 2020),
    ("MicroBT", "Whatsminer M30S++", "112", 3472, "31", 2020),
    ("MicroBT", "Whatsminer M50", "118", 3422, "29", 2022),
    ("MicroBT", "Whatsminer M50S", "126", 3276, "26", 2022),
    ("MicroBT", "Whatsminer M50S++", "150", 3300, "22", 2023),
    ("MicroBT", "Whatsminer M60S", "186", 3441, "18.5", 2024),
    ("MicroBT", "Whatsminer M66S+", "314", 5338, "17", 2024),
    ("Canaan", "AvalonMiner A1166 Pro", "81", 3402, "42", 2020),
    ("Canaan", "AvalonMiner A1246", "90", 3420, "38", 2021),
    ("Canaan", "Avalon A1346", "110", 3300, "30", 2022),
    ("Canaan", "Avalon A1366", "130", 3250, "25", 2022),
    ("Canaan", "Avalon A1466", "150", 3230, "21.5", 2023),
    ("Canaan", "Avalon A16", "282", 3900, "13.8", 2025),
    ("Canaan", "Avalon A16 XP", "300", 3850, "12.8", 2025),
]

NOTE = "Maker/reseller published figures; not yet checked by staff."
NOTE_APPROXIMATE_YEAR = NOTE + " Release year approximate."


def load(apps, schema_editor):
    miners = apps.get_model("mining", "AsicMiner").objects.using(schema_editor.connection.alias)
    for maker, model, ths, watts, jth, year in CATALOGUE:
        miners.update_or_create(
            maker=maker, model=model,
            defaults={
                "hashrate_ths": Decimal(ths), "power_w": watts, "efficiency_j_th": Decimal(jth),
                "year": year, "verified": False,
                "source_note": NOTE_APPROXIMATE_YEAR if year in (2023, 2024) else NOTE,
            },
        )


def unload(apps, schema_editor):
    miners = apps.get_model("mining", "AsicMiner").objects.using(schema_editor.connection.alias)
    for maker, model, *_ in CATALOGUE:
        miners.filter(maker=maker, model=model).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("mining", "0001_catalogue_and_snapshots"),
    ]

    operations = [
        migrations.RunPython(load, unload),
    ]
