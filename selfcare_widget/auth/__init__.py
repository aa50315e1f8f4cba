"""Sign-on: SSO token exchange, password and SMS-code sign-in, widget sessions, flask-login."""
