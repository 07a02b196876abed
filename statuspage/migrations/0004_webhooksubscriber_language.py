from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('statuspage', '0003_officialchannel_translations'),
    ]

    operations = [
        migrations.AddField(
            model_name='webhooksubscriber',
            name='language',
            field=models.CharField(blank=True, help_text="Of the emails to the owner; blank: the page's first language.", max_length=10),
        ),
    ]
