# Uzbek, Latin script: "17-oktabr, 2025-yil". Every name is set here, else the Cyrillic
# module (uz) would be next in line.
DATE_FORMAT = r"j-E, Y-\y\i\l"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = r"j-E, Y-\y\i\l, H:i"
MONTH_DAY_FORMAT = "j-E"
SHORT_DATE_FORMAT = "d.m.Y"
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\xa0"
NUMBER_GROUPING = 3
