"""What the tests share: platforms of their own, clients, data made by the tests themselves."""
