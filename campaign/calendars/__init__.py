"""iCalendar feeds: public feeds (campaign, commune, venue, event) and private per-user feeds."""
