<%doc>A user's video quota in words: what their videos take, of how much.</%doc>
<%!
def human_size(n):
    for unit, step in (("GB", 1024**3), ("MB", 1024**2), ("kB", 1024)):
        if n >= step:
            return f"{n / step:.1f} {unit}"
    return f"{n} B"
%>
<%def name="size(n)">${human_size(n)}</%def>
<%def name="quota_line(quota)">\
% if quota['total'] < 0:
Your videos take ${size(quota['used'])}; this server sets you no limit.\
% else:
Your videos take ${size(quota['used'])} of your ${size(quota['total'])} quota (${size(quota['left'])} left).\
% endif
</%def>
