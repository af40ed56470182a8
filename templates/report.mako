<%inherit file="layout.mako"/>
<%namespace name="report" file="_report.mako"/>
<%block name="title">Report · ${settings.instance_name}</%block>
${report.form(target, ref, values, errors, labels)}
