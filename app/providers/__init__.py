"""One module per SMS/USSD aggregator: parse its forms into our events, render our replies."""
