"""What makes a password people choose good enough: length, more than one kind of character, not a common one."""

from flask_babel import lazy_gettext as _l

MIN_CHOSEN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
# the passwords every guesser tries first (the lists published after leaks, Chinese sites' ones included), in
# lower case; a password is refused when it is one of these, ignoring case
COMMON_PASSWORDS = frozenset(
    """
123456 1234567 12345678 123456789 1234567890 12345678910 0123456789 987654321 9876543210 87654321 654321
111111 11111111 1111111111 000000 00000000 0000000000 666666 66666666 888888 88888888 8888888888 999999
123123 123123123 123321 112233 121212 520520 5201314 1314520 13145200 5201314520 147258369 159357 741852963
password password1 password12 password123 password1234 passw0rd p@ssw0rd p@ssword p@ssw0rd123 passw0rd123
qwerty qwerty123 qwerty1234 qwerty12345 qwertyuiop qweasdzxc qwe123 qwe123456 qwe1234567 qweqweqwe
1qaz2wsx 1qaz2wsx3edc 1q2w3e4r 1q2w3e4r5t 1q2w3e4r5t6y zaq12wsx zxcvbnm zxcvbnm123 zxc123456 zxc1234567
abc123 abc12345 abc123456 abc1234567 abcd1234 abcd12345 abcd123456 a123456 a12345678 a123456789 a1234567890
aa123456 aa12345678 aa123456789 123456a 12345678a 123456789a 1234567890a 123456abc 123abc 123qwe 123qweasd
admin admin123 admin1234 admin12345 admin123456 administrator root123456 test123456 iloveyou iloveyou1
woaini woaini1314 woaini520 woaini1314520 wang123456 zhang123456 li123456 qq123456 qq123456789 pass1234
welcome welcome1 welcome123 letmein letmein123 sunshine monkey dragon football baseball superman
weifang123 weifang1234 weifang12345 demo1234 demo123456 changeme changeme123
""".split()
)


def password_problem(password: str, username: str = "") -> str | None:
    """Why `password` is too weak for an account (for `username`), or None when it will do."""
    password = password or ""
    if password.lower() in COMMON_PASSWORDS:
        return _l("This password is one of the most common ones and is guessed first; choose another")
    if len(password) < MIN_CHOSEN_PASSWORD_LENGTH:
        return _l("The password must have at least %(n)d characters", n=MIN_CHOSEN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        return _l("The password can have at most %(n)d characters", n=MAX_PASSWORD_LENGTH)
    if len(set(password)) < 4:
        return _l("The password repeats too few characters; use at least four different ones")
    has_letter = any(c.isalpha() for c in password)
    has_other = any(not c.isalpha() for c in password)
    if not (has_letter and has_other):
        return _l("Mix letters with digits or symbols in the password")
    if len(username or "") >= 3 and username.lower() in password.lower():
        return _l("The password must not contain the user name")
    return None
