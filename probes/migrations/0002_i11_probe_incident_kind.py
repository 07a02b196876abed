from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("probes", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="probe",
            name="incident_kind",
            field=models.CharField(blank=True, help_text="The failure kind (wrong_data, unavailable, slow) of its "
                                   "incident: a re-trip of another kind opens its own.", max_length=20),
        ),
    ]
