"""Calendar feeds: each resident's secret feed URL (tokens, links) and the iCalendar file a
calendar client reads at it (feed)."""
