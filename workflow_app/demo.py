"""Demo data: Weifang's org units, one user per role, sample enterprises (idempotent)."""
import sqlalchemy as sa

from workflow_app.auth.models import Enterprise, Role
from workflow_app.auth.operations import create_enterprise, create_org_unit, create_user, ensure_role
from workflow_app.auth.queries import find_org_unit, find_user
from workflow_app.core.uscc import uscc_check_char
from workflow_app.extensions import db

CITY = ("weifang", "潍坊市人力资源和社会保障局")
COUNTIES = [
    ("kuiwen", "奎文区"), ("weicheng", "潍城区"), ("fangzi", "坊子区"), ("hanting", "寒亭区"),
    ("qingzhou", "青州市"), ("zhucheng", "诸城市"), ("shouguang", "寿光市"), ("anqiu", "安丘市"),
    ("gaomi", "高密市"), ("changyi", "昌邑市"), ("linqu", "临朐县"), ("changle", "昌乐县"),
    ("gaoxin", "高新区"), ("binhai", "滨海区"), ("xiashan", "峡山区"), ("zongbao", "综合保税区"),
]
ROLES = [
    ("dispatcher", "市级调度员"), ("county_handler", "县级经办人"), ("specialist", "服务专员"),
    ("section_reviewer", "科室审核人"), ("agency_officer", "社保经办员"), ("bank_officer", "银行经办员"),
    ("supervisor", "督办员"), ("enterprise", "企业用户"), ("admin", "系统管理员"),
]
USERS = [  # username, role, org code, display name
    ("admin", "admin", "weifang", "系统管理员"),
    ("dispatcher", "dispatcher", "weifang", "王调度"),
    ("city_supervisor", "supervisor", "weifang", "李督办（市级）"),
    ("reviewer", "section_reviewer", "weifang", "赵审核"),
    ("agency", "agency_officer", "weifang", "孙经办（社保）"),
    ("bank", "bank_officer", "weifang", "周信贷（中国银行潍坊分行）"),
    ("kuiwen_handler", "county_handler", "kuiwen", "刘经办（奎文区）"),
    ("kuiwen_specialist", "specialist", "kuiwen", "陈专员（奎文区）"),
    ("kuiwen_supervisor", "supervisor", "kuiwen", "吴督办（奎文区）"),
    ("shouguang_handler", "county_handler", "shouguang", "郑经办（寿光市）"),
]
ENTERPRISES = [  # first 17 characters of the USCC, name, county code
    ("91370705MA3C0A011", "潍坊华宇精密机械有限公司", "kuiwen"),
    ("91370783MA3D1B022", "寿光市绿源食品加工有限公司", "shouguang"),
    ("91370702MA3E2C033", "潍坊恒通纺织有限公司", "weicheng"),
    ("91370782MA3F3D044", "诸城市宏达汽车零部件有限公司", "zhucheng"),
]
ENTERPRISE_USER = ("ent_huayu", "91370705MA3C0A011", "华宇机械（企业经办）")


def seed_demo(password: str) -> dict:
    """Create whatever demo rows are missing; return how many of each were created."""
    counts = {"org units": 0, "roles": 0, "users": 0, "enterprises": 0}
    city = find_org_unit(CITY[0])
    if city is None:
        city = create_org_unit(CITY[0], CITY[1], "city", None)
        counts["org units"] += 1
    for code, name in COUNTIES:
        if find_org_unit(code) is None:
            create_org_unit(code, name, "county", city)
            counts["org units"] += 1
    for name, label in ROLES:
        counts["roles"] += db.session.scalar(sa.select(Role).where(Role.name == name)) is None
        ensure_role(name, label)
    for first17, name, county in ENTERPRISES:
        uscc = first17 + uscc_check_char(first17)
        if db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == uscc)) is None:
            create_enterprise(uscc, name, county)
            counts["enterprises"] += 1
    for username, role, org, display in USERS:
        if find_user(username) is None:
            create_user(username, [role], org, password, display)
            counts["users"] += 1
    username, first17, display = ENTERPRISE_USER
    enterprise = db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == first17 + uscc_check_char(first17)))
    if find_user(username) is None:
        create_user(username, ["enterprise"], enterprise.county.code, password, display, enterprise=enterprise)
        counts["users"] += 1
    if enterprise.specialist_id is None:
        enterprise.specialist_id = find_user("kuiwen_specialist").id
    db.session.flush()
    return counts
