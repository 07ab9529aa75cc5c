{#- Generated from expectations/*.yml by `cityops contracts sources --write`. Do not edit. -#}
{#- dataset -> column -> the values its contract names (enum values, water classes, 全区). -#}
{% macro contract_vocabulary() -%}
    {{ return({
        "beautiful_blocks": {
            "kind": ["示范街区", "美丽街区"],
        },
        "city_indicators": {
            "scope": ["全区"],
        },
        "elevator_retrofit": {
            "stage": ["意见征询", "立项", "审批", "开工", "竣工", "投入运行"],
        },
        "grid_cases": {
            "source": ["网格巡查", "12345转办", "啄木鸟", "路长巡查", "社会诉求", "内部督查", "智能发现"],
            "case_type": ["部件", "事件"],
            "overdue": ["是", "否"],
        },
        "hotline_cases": {
            "channel": ["电话", "网站", "微信", "APP", "一网通办"],
            "request_type": ["投诉", "求助", "咨询", "建议", "表扬"],
            "status": ["已办结", "办理中", "退单", "已撤销"],
            "on_time": ["是", "否"],
            "satisfaction": ["满意", "基本满意", "不满意", "未评价"],
        },
        "housing_renovation": {
            "kind": ["精品小区", "非成套改造", "里弄房屋修缮", "化粪池改造"],
            "status": ["未开工", "在建", "已竣工"],
        },
        "illegal_construction": {
            "kind": ["经营性违建", "居民自用违建", "工业仓储违建", "公共区域违建", "其他"],
            "origin": ["存量", "新增"],
            "status": ["已立案", "整改中", "已拆除"],
        },
        "overhead_lines": {
            "zone": ["内环内", "内环外"],
            "status": ["未开工", "施工中", "已竣工"],
        },
        "river_chief_patrols": {
            "chief_level": ["区级", "街镇级", "民间河长"],
        },
        "water_quality": {
            "water_class": ["Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ"],
            "computed_class": ["Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ"],
        },
    }) }}
{%- endmacro %}
