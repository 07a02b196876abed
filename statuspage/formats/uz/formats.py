# Uzbek, Cyrillic script: "17-октябр, 2025-йил".
DATE_FORMAT = r"j-E, Y-\й\и\л"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = r"j-E, Y-\й\и\л, H:i"
MONTH_DAY_FORMAT = "j-E"
SHORT_DATE_FORMAT = "d.m.Y"
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\xa0"
NUMBER_GROUPING = 3
