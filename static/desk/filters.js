'use strict';
// The changelist's provider and topic filters apply as soon as one is chosen; without
// JavaScript their Filter button does the same.
{
    const $ = django.jQuery;
    $(function() {
        $('.desk-filter-apply').hide();
        // select2 announces a choice with a jQuery "change" event on the <select>.
        $(document).on('change', 'select.desk-autocomplete-filter', function() {
            this.form.submit();
        });
    });
}
