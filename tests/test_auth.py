from conftest import PASSWORD, Auth, csrf_token


def test_anonymous_visitor_is_sent_to_sign_in(client):
    for path in ("/customers", "/customers/new", "/customers/1"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")


def test_partner_signs_in_and_lands_on_the_overview(client, partner):
    response = Auth(client).login(partner.email)
    assert response.status_code == 303
    assert response.headers["Location"] == "/overview"
    assert "Overview" in client.get("/overview").text and "All Customers" in client.get("/overview").text


def test_email_is_matched_ignoring_case_and_spaces(client, partner):
    response = Auth(client).login("  OWNER@Acme-IT.example.com ")
    assert response.status_code == 303


def test_wrong_email_and_wrong_password_get_the_same_message(client, partner):
    auth = Auth(client)
    wrong_password = auth.login(partner.email, "not the password")
    wrong_email = auth.login("nobody@example.com", PASSWORD)
    assert wrong_password.status_code == wrong_email.status_code == 422
    message = "The email address or password is not right"
    assert message in wrong_password.text and message in wrong_email.text


def test_session_id_changes_at_sign_in(client, partner):
    client.get("/login")
    before = client.get_cookie("session")
    Auth(client).login(partner.email)
    after = client.get_cookie("session")
    assert after is not None
    assert before is None or before.value != after.value


def test_sign_in_without_csrf_token_is_refused_with_a_clear_message(client, partner):
    response = client.post("/login", data={"email": partner.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "Your session expired. Reload the page and try again." in response.text
    assert "Traceback" not in response.text


def test_sign_out_needs_a_post_and_ends_the_session(signed_in):
    assert signed_in.get("/logout").status_code == 405
    token = csrf_token(signed_in.get("/customers").text)
    response = signed_in.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert signed_in.get("/customers").status_code == 302


def test_next_parameter_never_redirects_off_site(client, partner):
    page = client.get("/login?next=//evil.example.com/")
    response = client.post(
        "/login?next=//evil.example.com/",
        data={"email": partner.email, "password": PASSWORD, "csrf_token": csrf_token(page.text)},
    )
    assert response.headers["Location"] == "/overview"


def test_ten_failed_sign_ins_for_one_email_are_rate_limited(client, partner):
    auth = Auth(client)
    for _ in range(10):
        assert auth.login(partner.email, "wrong password!").status_code == 422
    blocked = auth.login(partner.email, PASSWORD)
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "Too many attempts" in blocked.text
    # Another email from the same address is not blocked yet.
    assert auth.login("someone@example.com", "wrong password!").status_code == 422


def test_successful_sign_ins_do_not_count_towards_the_limit(client, partner):
    auth = Auth(client)
    for _ in range(12):
        assert auth.login(partner.email).status_code == 303
        client.post("/logout", data={"csrf_token": auth.token("/customers")})


def test_fifty_failures_from_one_address_are_rate_limited(client, partner):
    auth = Auth(client)
    for n in range(50):
        assert auth.login(f"user{n}@example.com", "wrong password!").status_code == 422
    assert auth.login(partner.email, PASSWORD).status_code == 429
